/** The collector's allocation sites: ingest rows, the growing-site rules, matching to suspects, the API's reads. */
export { allocRowsOf } from './alloc-rows';
export { readAllocSites, verdictSites, DEFAULT_SITE_LIMIT, MAX_SITE_LIMIT, VERDICT_SITES, type AllocSitesDeps, type AllocSitesQuery } from './alloc-sites';
export { allocSitesQueryOf } from './alloc-sites-route';
export { judgeSite, siteSeries, siteWindow, SITE_SLOPE_SHARE, SITE_MIN_RISE_INTERVALS, SITE_MIN_RISE_SHARE, type SiteGrowth } from './growing-sites';
export { matchingSuspectIds, siteMatchesSuspect, memberType, closureSteps } from './site-matching';
export { siteIdOf } from './site-id';
export { judgeSiteByEpochs, profileEpochs, type ProfileEpoch, type EpochJudgement } from './sampling-epochs';
