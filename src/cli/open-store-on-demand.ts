import type { Store, StoreOptions } from '../store/store-interface';

/**
 * Opens the store, loading it first. The store is the one user of `@clickhouse/client` and of
 * chDB, which add ~150 MB of RSS the moment they are required, so only the
 * commands that open a store may load it: `leakwatch --help`, `analyze` or `check --collector`
 * never do (test/cli-lazy-engine.test.ts). Under `module: nodenext` tsc keeps this `import()` as
 * Node's own dynamic import (a CommonJS build turns a static import into a `require` at the top of
 * the file, which would load the engine with the command table).
 */
export async function openStoreOnDemand(options: StoreOptions): Promise<Store> {
  const { openStore } = await import('../store/open-store.js');
  return openStore(options);
}
