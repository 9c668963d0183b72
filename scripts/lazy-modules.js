// Two modules that @pulumi/pulumi loads as it starts and that nothing here uses, loaded only
// when first used: `typescript` (for serializing JavaScript functions, and for component
// providers) and `@npmcli/arborist` (for finding the packages a serialized function needs). They
// are 60% of the time `require("@pulumi/pulumi")` takes: about 0.25 s of every process that
// loads the SDK (README, "Benchmark: the real preview"). The driver loads this module first
// (scripts/stack.ts, scripts/render.ts), and passes it to the policy pack's process with
// `NODE_OPTIONS=--require` (scripts/engine.ts). If anything does use one of them, it is loaded
// then, whole: only the time it is loaded changes.
"use strict";
const Module = require("module");

const LAZY = new Set(["typescript", "@npmcli/arborist"]);
const load = Module._load;

Module._load = function (request, parent, isMain) {
  if (!LAZY.has(request)) return load.apply(this, arguments);
  let real;
  const get = () => (real ??= load.call(Module, request, parent, isMain));
  // `__esModule` answered without loading, so that `__importStar` keeps the proxy as it is.
  return new Proxy(
    {},
    {
      get: (_, key) => (key === "__esModule" ? true : get()[key]),
      has: (_, key) => key in get(),
      ownKeys: () => Reflect.ownKeys(get()),
      getOwnPropertyDescriptor: (_, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(get(), key);
        return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
      },
    },
  );
};
