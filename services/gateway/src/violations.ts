// Field violations for problem bodies, from the two places they come from:
// the gateway's own protovalidate check of a request, and a backend's
// InvalidArgument with buf.validate.Violations details. Both name fields by
// their proto path ("items[0].quantity"); `aliases` renames a top-level proto
// field to what the REST caller sent (a query parameter, a header).
import type { ConnectError } from "@connectrpc/connect";
import { violationToProto, type Violation } from "@bufbuild/protovalidate";
import {
  ViolationsSchema,
  type FieldPath,
  type Violation as ViolationProto,
} from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import type { FieldViolation } from "./problem.ts";

export type FieldAliases = Readonly<Record<string, string>>;

export function fromValidation(violations: readonly Violation[], aliases: FieldAliases = {}): FieldViolation[] {
  return violations.map((violation) => fromProto(violationToProto(violation)[0], aliases));
}

export function fromConnectError(error: ConnectError, aliases: FieldAliases = {}): FieldViolation[] {
  return error.findDetails(ViolationsSchema).flatMap((details) => details.violations.map((v) => fromProto(v, aliases)));
}

function fromProto(violation: ViolationProto, aliases: FieldAliases): FieldViolation {
  return {
    field: rename(violation.field ? fieldPath(violation.field) : "", aliases),
    rule: violation.ruleId,
    message: violation.message,
  };
}

/** "items[0].quantity" from a FieldPath. */
export function fieldPath(path: FieldPath): string {
  return path.elements
    .map((element, i) => {
      const name = (i > 0 ? "." : "") + element.fieldName;
      const subscript = element.subscript;
      switch (subscript.case) {
        case "index":
        case "intKey":
        case "uintKey":
        case "boolKey":
          return `${name}[${subscript.value}]`;
        case "stringKey":
          return `${name}[${JSON.stringify(subscript.value)}]`;
        default:
          return name;
      }
    })
    .join("");
}

function rename(path: string, aliases: FieldAliases): string {
  const head = /^[^.[]*/.exec(path)![0];
  const alias = aliases[head];
  return alias === undefined ? path : alias + path.slice(head.length);
}
