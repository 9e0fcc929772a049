/** The longest webhook URL accepted; receivers' URLs are short, and each delivery log line carries it. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * What is wrong with a webhook URL as written, or null: an absolute http(s) URL without user
 * credentials (they would be stored and shown in the clear; sign with the webhook's secret
 * instead). Whether its host may be reached is decided on the server, from the addresses it
 * resolves to. Browser-safe, so the form says the same as the API.
 */
export function webhookUrlProblem(value: string): string | null {
  if (value.length > MAX_WEBHOOK_URL_LENGTH) return `A webhook URL has at most ${MAX_WEBHOOK_URL_LENGTH} characters.`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "Enter an absolute URL such as https://ci.example.com/hooks/cairn.";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `Webhooks are sent over http:// or https://, not ${url.protocol}//. Use an http(s) URL.`;
  if (url.username || url.password) {
    return "Leave user name and password out of the URL: they would be stored in the clear. Check the X-Cairn-Signature header with the webhook's secret instead.";
  }
  if (url.hash) return "Leave the #fragment out of the URL; it is never sent to the receiver.";
  return null;
}
