// dynalite ships no types; this is the part of its API the embedded runtime uses.
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
  }
  export default function dynalite(options?: DynaliteOptions): Server;
}

// dynalite's item-size rules, which the cost benchmark's capacity meter prices writes with.
declare module 'dynalite/db/index.js' {
  const db: { itemSize(item: Record<string, unknown>): number };
  export default db;
}
