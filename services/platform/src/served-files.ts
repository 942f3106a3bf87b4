// The .proto files behind the services a port serves, with everything they
// import: what server reflection describes, and the types the JSON codec can
// put in a google.protobuf.Any.
import type { DescFile } from "@bufbuild/protobuf";

/** Each file once, by name: the given files first, then their imports, transitively. */
export function withImports(files: Iterable<DescFile>): DescFile[] {
  const seen = new Map<string, DescFile>();
  const visit = (file: DescFile) => {
    if (seen.has(file.proto.name)) return;
    seen.set(file.proto.name, file);
    file.dependencies.forEach(visit);
  };
  for (const file of files) visit(file);
  return [...seen.values()];
}
