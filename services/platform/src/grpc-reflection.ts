// gRPC server reflection (grpc.reflection.v1 and its predecessor v1alpha) on
// every service port, so that grpcurl, buf curl, Postman and grpcui find the
// services and their messages without a copy of the schema. It answers from
// the descriptors the generated code embeds: the files of every service the
// router serves, with their imports.
//
// connect-es has no reflection of its own (connect-es issue 507) and no
// maintained npm package serves it for connect-es v2, hence this small one.
import { create, fromBinary, toBinary, type DescEnum, type DescFile, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectRouter } from "@connectrpc/connect";
import {
  ServerReflection,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
} from "@meshmart/proto/grpc/reflection/v1/reflection_pb";
import * as v1alpha from "@meshmart/proto/grpc/reflection/v1alpha/reflection_pb";
import { withImports } from "./served-files.ts";

/** What reflection knows: files by name (the services' and their imports), the file that declares each symbol, extensions by extendee. */
export class ReflectionIndex {
  private readonly files = new Map<string, DescFile>();
  private readonly symbols = new Map<string, DescFile>();
  private readonly extensions = new Map<string, Map<number, DescFile>>();
  private readonly encoded = new Map<string, Uint8Array>();
  private readonly messageNames = new Set<string>();

  constructor(readonly services: readonly DescService[]) {
    for (const file of withImports(services.map((s) => s.file))) this.addFile(file);
  }

  answer(request: ServerReflectionRequest): ServerReflectionResponse {
    const response = create(ServerReflectionResponseSchema, { validHost: request.host, originalRequest: request });
    const notFound = (what: string) => {
      response.messageResponse = { case: "errorResponse", value: { $typeName: "grpc.reflection.v1.ErrorResponse", errorCode: Code.NotFound, errorMessage: `${what} not found` } };
      return response;
    };
    const files = (file: DescFile | undefined, what: string) => {
      if (!file) return notFound(what);
      response.messageResponse = {
        case: "fileDescriptorResponse",
        value: { $typeName: "grpc.reflection.v1.FileDescriptorResponse", fileDescriptorProto: withImports([file]).map((f) => this.bytesOf(f)) },
      };
      return response;
    };
    const message = request.messageRequest;
    switch (message.case) {
      case "listServices":
        response.messageResponse = {
          case: "listServicesResponse",
          value: { $typeName: "grpc.reflection.v1.ListServiceResponse", service: this.services.map((s) => ({ $typeName: "grpc.reflection.v1.ServiceResponse", name: s.typeName })) },
        };
        return response;
      case "fileByFilename":
        return files(this.files.get(message.value), `file ${message.value}`);
      case "fileContainingSymbol":
        return files(this.symbols.get(message.value.replace(/^\./, "")), `symbol ${message.value}`);
      case "fileContainingExtension": {
        const { containingType, extensionNumber } = message.value;
        return files(this.extensions.get(containingType.replace(/^\./, ""))?.get(extensionNumber), `extension ${extensionNumber} of ${containingType}`);
      }
      case "allExtensionNumbersOfType": {
        const typeName = message.value.replace(/^\./, "");
        if (!this.messageNames.has(typeName)) return notFound(`message type ${message.value}`);
        response.messageResponse = {
          case: "allExtensionNumbersResponse",
          value: {
            $typeName: "grpc.reflection.v1.ExtensionNumberResponse",
            baseTypeName: typeName,
            extensionNumber: [...(this.extensions.get(typeName)?.keys() ?? [])].sort((a, b) => a - b),
          },
        };
        return response;
      }
      default:
        response.messageResponse = {
          case: "errorResponse",
          value: { $typeName: "grpc.reflection.v1.ErrorResponse", errorCode: Code.InvalidArgument, errorMessage: "the request names no known reflection query" },
        };
        return response;
    }
  }

  private bytesOf(file: DescFile): Uint8Array {
    let bytes = this.encoded.get(file.proto.name);
    if (!bytes) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      this.encoded.set(file.proto.name, bytes);
    }
    return bytes;
  }

  private addFile(file: DescFile): void {
    this.files.set(file.proto.name, file);
    for (const message of file.messages) this.addMessage(file, message);
    for (const e of file.enums) this.addEnum(file, e, file.proto.package);
    for (const service of file.services) {
      this.symbols.set(service.typeName, file);
      for (const method of service.methods) this.symbols.set(`${service.typeName}.${method.name}`, file);
    }
    for (const extension of file.extensions) this.addExtension(file, extension.typeName, extension.extendee.typeName, extension.number);
  }

  private addMessage(file: DescFile, message: DescMessage): void {
    this.symbols.set(message.typeName, file);
    this.messageNames.add(message.typeName);
    for (const field of message.fields) this.symbols.set(`${message.typeName}.${field.name}`, file);
    for (const oneof of message.oneofs) this.symbols.set(`${message.typeName}.${oneof.name}`, file);
    for (const nested of message.nestedMessages) this.addMessage(file, nested);
    for (const e of message.nestedEnums) this.addEnum(file, e, message.typeName);
    for (const extension of message.nestedExtensions) this.addExtension(file, extension.typeName, extension.extendee.typeName, extension.number);
  }

  /** Enum values are scoped beside their enum, not inside it (as in C++). */
  private addEnum(file: DescFile, e: DescEnum, scope: string): void {
    this.symbols.set(e.typeName, file);
    for (const value of e.values) this.symbols.set(scope ? `${scope}.${value.name}` : value.name, file);
  }

  private addExtension(file: DescFile, typeName: string, extendee: string, number: number): void {
    this.symbols.set(typeName, file);
    let byNumber = this.extensions.get(extendee);
    if (!byNumber) this.extensions.set(extendee, (byNumber = new Map<number, DescFile>()));
    byNumber.set(number, file);
  }
}

/**
 * Registers grpc.reflection.v1 and v1alpha. The index is built on the first
 * request from the services the router serves by then (these two included),
 * so register this after the service's own RPCs.
 */
export function serveReflection(router: ConnectRouter): void {
  let index: ReflectionIndex | undefined;
  const indexOf = () => (index ??= new ReflectionIndex([...new Map(router.handlers.map((h) => [h.service.typeName, h.service])).values()]));
  router.service(ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) yield indexOf().answer(request);
    },
  });
  // v1alpha has the same messages under another package: the same answers, re-encoded.
  router.service(v1alpha.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        const answer = indexOf().answer(fromBinary(ServerReflectionRequestSchema, toBinary(v1alpha.ServerReflectionRequestSchema, request)));
        yield fromBinary(v1alpha.ServerReflectionResponseSchema, toBinary(ServerReflectionResponseSchema, answer));
      }
    },
  });
}
