// Errors handlers return to callers. Checks the proto rules cannot express
// (a stale page token, a taken sku) still answer InvalidArgument with the
// offending field, in the same buf.validate.Violations detail the validator uses.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

export function invalidArgument(field: string, message: string, ruleId = "meshmart.invalid"): ConnectError {
  const violations = create(ViolationsSchema, {
    violations: [{ field: { elements: [{ fieldName: field }] }, ruleId, message }],
  });
  return new ConnectError(`${field}: ${message}`, Code.InvalidArgument, undefined, [
    { desc: ViolationsSchema, value: violations },
  ]);
}

export function notFound(what: string, id: string): ConnectError {
  return new ConnectError(`${what} ${id} not found`, Code.NotFound);
}

export function alreadyExists(message: string): ConnectError {
  return new ConnectError(message, Code.AlreadyExists);
}
