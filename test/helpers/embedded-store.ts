import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before } from 'node:test';
import { openStore } from '../../src/store/open-store';
import { createStoreClient, type StoreClient } from '../../src/store/store-client';
import type { StoreContext } from '../../src/store/store-context';
import type { Store } from '../../src/store/store-interface';
import { tableNames } from '../../src/store/table-names';

export const RETENTION_DAYS = 30;
export const SECOND = 1000;
export const HOUR = 3600 * SECOND;

/** A whole second an hour ago: synthetic series start here, well inside the retention's TTL. */
export function anHourAgo(): number {
  return Math.floor((Date.now() - HOUR) / SECOND) * SECOND;
}

export interface EmbeddedStoreFixture {
  readonly dataDir: string;
  /** The store under test; a test that re-opens it assigns the new one here. */
  store: Store;
  /** A second connection to the same directory, for looking at the tables directly. */
  readonly inspector: StoreClient;
  readonly ctx: StoreContext;
  /** Opens (another) store on the fixture's directory. */
  open(retentionDays?: number): Promise<Store>;
}

/**
 * The real ClickHouse engine (chdb) in a fresh temporary directory, opened in `before` and closed
 * in `after` of the suite that calls this. chDB binds one data directory per process, so a test
 * file uses exactly one.
 */
export function useEmbeddedStore(options: { inspector?: boolean } = {}): EmbeddedStoreFixture {
  let inspector: StoreClient | undefined;
  let ctx: StoreContext | undefined;
  const fixture = {
    dataDir: '',
    store: undefined as unknown as Store,
    get inspector(): StoreClient {
      if (!inspector) throw new Error('useEmbeddedStore({ inspector: true }) opens the inspector');
      return inspector;
    },
    get ctx(): StoreContext {
      if (!ctx) throw new Error('useEmbeddedStore({ inspector: true }) opens the inspector');
      return ctx;
    },
    open: (retentionDays = RETENTION_DAYS) => openStore({ target: { kind: 'embedded', dataDir: fixture.dataDir }, retentionDays }),
  };
  before(async () => {
    fixture.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-store-'));
    fixture.store = await fixture.open();
    if (options.inspector) {
      inspector = createStoreClient({ kind: 'embedded', dataDir: fixture.dataDir });
      ctx = { client: inspector.client, tables: tableNames(inspector.database) };
    }
  });
  after(async () => {
    await inspector?.client.close();
    await fixture.store?.close();
    await fixture.store?.close(); // closing twice is harmless
    fs.rmSync(fixture.dataDir, { recursive: true, force: true });
  });
  return fixture;
}
