// Messaging attributes (OpenTelemetry's messaging conventions, Kafka) of the
// spans that write an event to the outbox, publish it and process it.
import type { Attributes } from "@opentelemetry/api";

// The messaging conventions are still incubating: their names are copied here, as the conventions advise.
const attr = {
  system: "messaging.system",
  destination: "messaging.destination.name",
  operationType: "messaging.operation.type",
  operationName: "messaging.operation.name",
  messageId: "messaging.message.id",
  key: "messaging.kafka.message.key",
  group: "messaging.consumer.group.name",
  partition: "messaging.destination.partition.id",
  offset: "messaging.kafka.offset",
} as const;

export type MessagingOperation = "create" | "send" | "process";

export function messagingAttributes(operation: MessagingOperation, topic: string, messageId: string, key: string): Attributes {
  return {
    [attr.system]: "kafka",
    [attr.destination]: topic,
    [attr.operationType]: operation,
    [attr.operationName]: operation,
    [attr.messageId]: messageId,
    [attr.key]: key,
  };
}

export function consumerAttributes(group: string, partition: number, offset: string): Attributes {
  return { [attr.group]: group, [attr.partition]: String(partition), [attr.offset]: Number(offset) };
}
