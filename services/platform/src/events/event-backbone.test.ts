// The event backbone on the real PostgreSQL and the suite's Kafka (3.9), once
// per Kafka client: the cases are in event-backbone-cases.ts.
import { testKafkaBrokers } from "../test-support.ts";
import { describeBackbone } from "./event-backbone-cases.ts";
import { kafkaClients } from "./kafka-client.ts";

for (const client of kafkaClients) describeBackbone(client, testKafkaBrokers);
