export * from './envelope';
export * from './messages';
export * from './close-codes';
export * from './decode';
export * from './encode';
export * from './snapshot-messages';
export * from './decode-snapshot';

export * from './alloc-messages';
export * from './lineage-messages';
