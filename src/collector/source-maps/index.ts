/**
 * The collector's source maps: what maps generated locations (V8's script:line:col) to the
 * user's own files. `createSourceMapResolver` reads maps the probes uploaded
 * (`createUploadedMaps`, fed by ingest's `source-map` branch) and maps on this machine's disk;
 * `mapSuspectLocations` rewrites a snapshot's suspects with them. See docs/source-maps.md.
 */
export { createUnmappedResolver, generatedLocation, type GeneratedLocation, type LocationResolver } from './location-resolver';
export { createSourceMapResolver, type SourceMapResolver, type SourceMapResolverOptions } from './source-map-resolver';
export { mapSuspectLocations } from './suspect-sources';
export { createUploadedMaps, type UploadedMapLookup, type UploadedMaps, type UploadedMapsOptions } from './uploaded-maps';
