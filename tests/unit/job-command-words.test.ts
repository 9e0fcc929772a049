import { describe, expect, it } from "vitest";
import { commandArgv, joinCommand, splitCommand } from "@/components/job-command-words";

describe("splitCommand", () => {
  it("splits on runs of whitespace", () => {
    expect(splitCommand("  python   train.py\t--epochs 3 ")).toEqual({ argv: ["python", "train.py", "--epochs", "3"], problem: null });
  });

  it("keeps single-quoted text literal, backslashes and $ included", () => {
    expect(splitCommand(`echo 'a b' '\\n $HOME'`).argv).toEqual(["echo", "a b", "\\n $HOME"]);
  });

  it("honours the escapes a shell honours inside double quotes, and only those", () => {
    expect(splitCommand(`echo "say \\"hi\\" \\\\ \\$x \\n"`).argv).toEqual(["echo", `say "hi" \\ $x \\n`]);
  });

  it("joins adjacent quoted and unquoted parts into one word and keeps empty quoted words", () => {
    expect(splitCommand(`--name="a b"c '' x`).argv).toEqual(["--name=a bc", "", "x"]);
  });

  it("treats a backslash outside quotes as escaping the next character", () => {
    expect(splitCommand("a\\ b c\\\nd").argv).toEqual(["a b", "cd"]);
  });

  it("names an unclosed quote", () => {
    expect(splitCommand(`echo "oops`).problem).toMatch(/double quote/);
    expect(splitCommand(`echo 'oops`).problem).toMatch(/single quote/);
  });
});

describe("commandArgv", () => {
  it("wraps the whole line in sh -c when asked", () => {
    expect(commandArgv(" echo $HOME && ls ", true)).toEqual({ argv: ["sh", "-c", "echo $HOME && ls"], problem: null });
  });

  it("refuses an empty command", () => {
    expect(commandArgv("   ", false).problem).toMatch(/Enter the command/);
    expect(commandArgv("", true).problem).toMatch(/Enter the command/);
  });
});

describe("joinCommand", () => {
  it("round-trips through splitCommand", () => {
    const argv = ["node", "/tmp/a b/job.js", "it's", "", "--x=1", "$HOME"];
    expect(splitCommand(joinCommand(argv)).argv).toEqual(argv);
    expect(joinCommand(["python", "train.py"])).toBe("python train.py");
  });
});
