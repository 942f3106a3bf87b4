// Prints the services of the topology, one a line as "<name> <localPort>", for
// the shell scripts (deploy, images, port-forward) so they never keep their own list.

import { serviceNames, services } from "@meshmart/topology";

for (const name of serviceNames) console.log(`${name} ${services[name].localPort}`);
