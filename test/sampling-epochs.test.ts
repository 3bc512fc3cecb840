import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeSite, judgeSiteByEpochs, profileEpochs, siteSeries, siteWindow } from '../src/collector/alloc';
import { INTERVAL, KB, MB, MINUTE, capped, rising } from './helpers/alloc-profiles';

/*
 * The growing-site rules across restarts of V8's sampler (src/collector/alloc/sampling-epochs.ts):
 * one profile a minute, every site's live bytes starting again from nothing at each restart.
 */
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

/** `epochs` epochs of `length` profiles; `live(i)` is a site's live bytes `i` profiles into its epoch. */
function epochRun(epochs: number, length: number, live: (i: number) => number) {
  const profiles: number[] = [];
  const starts: number[] = [];
  const liveBytes: number[] = [];
  for (let e = 0; e < epochs; e++) {
    for (let i = 0; i < length; i++) {
      profiles.push(T0 + (e * length + i) * MINUTE);
      starts.push(T0 + e * length * MINUTE);
      // Whole samples, as V8 scales them.
      liveBytes.push(Math.round(live(i) / INTERVAL) * INTERVAL);
    }
  }
  const boot = { profiles, epochs: starts, otherSites: profiles.map(() => 0) };
  return { boot, site: { t: profiles, liveBytes } };
}

test('profiles are grouped into epochs by the start their sampler names', () => {
  const { boot } = epochRun(3, 4, () => MB);
  const epochs = profileEpochs(boot);
  assert.deepEqual(epochs.map((e) => [e.startedAt, e.t.length]), [[T0, 4], [T0 + 4 * MINUTE, 4], [T0 + 8 * MINUTE, 4]]);
});

test('a leak restarted from nothing at each epoch is still growing at its own slope; across the sawtooth the slope would be far off', () => {
  const { boot, site } = epochRun(3, 30, rising(0, 512 * KB));
  const byEpoch = judgeSiteByEpochs(profileEpochs(boot), site, INTERVAL);
  assert.equal(byEpoch.growing, true, byEpoch.reason);
  assert.equal(byEpoch.epochStartedAt, T0 + 60 * MINUTE, 'the newest epoch decided');
  assert.ok(byEpoch.slopeBytesPerHour > 25 * MB && byEpoch.slopeBytesPerHour < 35 * MB, `${byEpoch.slopeBytesPerHour}`);
  const whole = judgeSite(siteSeries({ t: boot.profiles, otherSites: boot.otherSites }, site), siteWindow(boot.profiles), INTERVAL);
  assert.ok(whole.slopeBytesPerHour < byEpoch.slopeBytesPerHour / 5, `one series across the restarts reads a fraction of the slope: ${whole.reason}`);
});

test('a cache refilling after each restart is not growing: every epoch has its own warm-up and saturates', () => {
  const { boot, site } = epochRun(3, 30, capped(2 * MB, 10 * MB));
  const growth = judgeSiteByEpochs(profileEpochs(boot), site, INTERVAL);
  assert.equal(growth.growing, false, growth.reason);
});

test('an epoch too young to judge leaves the decision to the one before it', () => {
  // Two full epochs of a leak, then a restart five profiles ago.
  const full = epochRun(2, 30, rising(0, 512 * KB));
  const young = epochRun(1, 5, rising(0, 512 * KB));
  const shift = 60 * MINUTE;
  const boot = {
    profiles: [...full.boot.profiles, ...young.boot.profiles.map((t) => t + shift)],
    epochs: [...full.boot.epochs, ...young.boot.epochs.map((t) => t + shift)],
    otherSites: [...full.boot.otherSites, ...young.boot.otherSites],
  };
  const site = { t: boot.profiles, liveBytes: [...full.site.liveBytes, ...young.site.liveBytes] };
  const growth = judgeSiteByEpochs(profileEpochs(boot), site, INTERVAL);
  assert.equal(growth.growing, true, growth.reason);
  assert.equal(growth.epochStartedAt, T0 + 30 * MINUTE);
  assert.equal(growth.epochs, 3);
  // With only the young epoch there is nothing to judge.
  const alone = judgeSiteByEpochs(profileEpochs(young.boot), young.site, INTERVAL);
  assert.equal(alone.growing, false);
  assert.match(alone.reason, /too few points/);
});
