import {
  createRetentionPolicyBody,
  retentionApplyResponse,
  retentionPolicyListResponse,
  retentionPolicyResponse,
  retentionPreviewResponse,
  retentionRuleBody,
} from "@/lib/api/schemas/retention";
import { bodyComponent, empty, json, responseComponent, type Area } from "./registry";

const id = { id: "The policy's id." };
const policy = responseComponent("RetentionPolicy", retentionPolicyResponse);
const preview = responseComponent("RetentionPreview", retentionPreviewResponse);

export const retentionArea: Area = {
  tag: "Retention",
  description:
    "Policies that delete old checkpoints by themselves (after each capture and hourly): keep the latest N and the best K by a metric of those that match. Pinned, public and in-use checkpoints are always kept.",
  operations: [
    {
      id: "listRetentionPolicies",
      method: "get",
      path: "/api/v1/retention-policies",
      summary: "List retention policies",
      access: { kind: "user", permission: "read" },
      responses: { 200: json("Every policy.", responseComponent("RetentionPolicyList", retentionPolicyListResponse)) },
    },
    {
      id: "createRetentionPolicy",
      method: "post",
      path: "/api/v1/retention-policies",
      summary: "Create a retention policy",
      description: "Owners and admins only: a policy deletes checkpoints on its own.",
      access: { kind: "user", permission: "admin" },
      body: { schema: bodyComponent("CreateRetentionPolicyBody", createRetentionPolicyBody) },
      responses: { 201: json("The policy.", policy) },
      errors: [409],
    },
    {
      id: "previewRetentionRule",
      method: "post",
      path: "/api/v1/retention-policies/preview",
      summary: "Preview a rule before saving it",
      access: { kind: "user", permission: "read" },
      body: { schema: bodyComponent("RetentionRuleBody", retentionRuleBody) },
      responses: { 200: json("What the rule would delete and keep, and why.", preview) },
    },
    {
      id: "getRetentionPolicy",
      method: "get",
      path: "/api/v1/retention-policies/{id}",
      summary: "A retention policy",
      access: { kind: "user", permission: "read" },
      params: id,
      responses: { 200: json("The policy.", policy) },
    },
    {
      id: "deleteRetentionPolicy",
      method: "delete",
      path: "/api/v1/retention-policies/{id}",
      summary: "Delete a retention policy",
      access: { kind: "user", permission: "admin" },
      params: id,
      responses: { 204: empty("Deleted; the checkpoints it kept stay.") },
    },
    {
      id: "previewRetentionPolicy",
      method: "post",
      path: "/api/v1/retention-policies/{id}/preview",
      summary: "Preview a saved policy",
      access: { kind: "user", permission: "read" },
      params: id,
      responses: { 200: json("What applying it now would delete and keep.", preview) },
    },
    {
      id: "applyRetentionPolicy",
      method: "post",
      path: "/api/v1/retention-policies/{id}/apply",
      summary: "Apply a policy now",
      description: "Rather than at the next capture or hourly pass.",
      access: { kind: "user", permission: "admin" },
      params: id,
      responses: { 200: json("What was deleted, and what was left alone at the last moment.", responseComponent("RetentionApply", retentionApplyResponse)) },
    },
  ],
};
