import { deployPlatform } from "./components/platform";
import { CATALOG } from "./stacks/catalog";

/**
 * The stack program, as `pulumi up` runs it (and the offline render, and the Automation API): the
 * platform of the shipped service catalog (`components/platform.ts`). Its outputs are a contract
 * for dashboards (`stacks/outputs.ts`): the compiler holds them to its shape there, and the tests
 * check both stacks' rendered outputs against the committed JSON Schema.
 */
export = async function main() {
  return deployPlatform(CATALOG);
};
