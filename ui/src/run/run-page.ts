import type { LiveBatchMessage, LiveMessage, ProcessEntry, RunSummary } from '../../../src/api';
import { createChartFeeder } from '../charts/chart-feeder';
import { registerChartParts } from '../charts/chart-setup';
import { createGapBands, type GapPosition } from '../charts/gap-bands';
import { createRunCharts, SERIES_METRICS, type RunChartSet } from '../charts/run-charts';
import { fetchGaps, fetchGc, fetchProcesses, fetchRun, fetchSeries, fetchSpaces, type RangeParams } from '../common/collector-api';
import { createBanner } from '../common/banner';
import { el, setPageState } from '../common/dom';
import { createLiveSocket, type LiveSocket } from '../common/live-socket';
import { thresholdsFromQuery, withThresholds } from '../common/verdict-query';
import { createSnapshotMarkers, type MarkerPosition } from '../snapshots/snapshot-markers';
import { createSnapshotPanel } from '../snapshots/snapshot-panel';
import { createSitesPanel } from '../alloc/sites-panel';
import { createSuspectsPanel } from '../suspects/suspects-panel';
import { createRunVerdict } from '../verdict/verdict-view';
import { showVerdictLines } from '../verdict/verdict-lines';
import { busiestProcess, createProcessPicker } from './process-picker';
import { createRangeControls } from './range-controls';
import { createRunHeader } from './run-header';
import { viewFromQuery, viewToQuery, type ViewRange } from './view-range';

declare global {
  interface Window {
    /** The run page's charts, for tests and for poking around in devtools. */
    leakwatchCharts?: RunChartSet;
    /** Where the heap chart drew its snapshot markers (canvas pixels), for tests. */
    leakwatchSnapshotMarkers?: () => MarkerPosition[];
    /** Where each chart drew the gaps of lost samples (canvas pixels), for tests. */
    leakwatchGapBands?: () => Record<keyof RunChartSet, GapPosition[]>;
  }
}

/** A brand-new run is drawn over at least this span, so its first samples grow left to right. */
const MIN_FOLLOW_SPAN_MS = 60_000;
/** With "all", live points pile up at a fixed bucket size; refetch once there are this many per pixel. */
const MAX_POINTS_PER_PIXEL = 1.5;
const MIN_REFETCH_GAP_MS = 10_000;

/** Points of each process's small heap chart. */
const PROCESS_CHART_POINTS = 60;
/** While live, the processes (new workers, their verdicts, their small charts) are read again this often. */
const PROCESS_REFRESH_MS = 15_000;

/**
 * The run page: header, range toolbar, the run's processes (a small multiple to pick from), five
 * synced charts of the chosen process, live updates while following, growth suspects, snapshots.
 */
export async function startRunPage(root: HTMLElement, runId: string): Promise<void> {
  setPageState('loading');
  registerChartParts();
  const headerHost = el('header', { class: 'run-header' });
  const toolbarHost = el('div', {});
  const bannerHost = el('div', {});
  const verdictHost = el('div', {});
  const processesHost = el('div', {});
  const grid = el('div', { class: 'chart-grid' });
  const suspectsHost = el('div', {});
  const sitesHost = el('div', {});
  const snapshotsHost = el('div', {});
  root.append(headerHost, bannerHost, toolbarHost, verdictHost, processesHost, grid, suspectsHost, sitesHost, snapshotsHost);
  const banner = createBanner(bannerHost);

  let run: RunSummary;
  try {
    run = await fetchRun(runId);
  } catch (err) {
    banner.show(err);
    setPageState('error');
    return;
  }

  const header = createRunHeader(headerHost);
  header.render(run);
  const query = new URLSearchParams(location.search);
  // ?maxSlope=…&minDuration=… (see verdict-query.ts) go to the verdict API; none: its defaults.
  const thresholds = thresholdsFromQuery(query);
  let view: ViewRange = viewFromQuery(query);
  /*
   * The process the charts and the verdict follow (its boot): `?boot=`, else the busiest once the
   * processes are known. Undefined for a run with one process (its rows are the run's).
   */
  let chosenBoot: string | undefined = query.get('boot') || undefined;
  let processes: ProcessEntry[] = [];
  /** The processes not shown, whose suspects the panel leaves out (none while the whole run is shown). */
  /**
   * Whose snapshots the panel lists, and whose probe its button asks: the chosen process once the
   * run has several; with one, every boot of the run (a restarted process's earlier ones too).
   */
  const snapshotsBoot = (): string | undefined => (processes.length > 1 ? chosenBoot : undefined);
  const otherBoots = (): string[] => (chosenBoot === undefined ? [] : processes.filter((p) => p.boot !== chosenBoot).map((p) => p.boot));
  const picker = createProcessPicker(processesHost, (boot) => {
    if (boot === chosenBoot) return;
    chosenBoot = boot;
    picker.render(processes, chosenBoot, worstBoot);
    document.body.dataset.process = boot;
    followProcesses();
    history.replaceState(null, '', `${location.pathname}${pageQuery()}`);
    void verdict.refresh();
    void load();
  });
  let worstBoot: string | null = null;
  /** The page's own query: the view, the verdict thresholds and the chosen process. */
  function pageQuery(): string {
    const params = new URLSearchParams(withThresholds(viewToQuery(view), thresholds));
    if (chosenBoot !== undefined) params.set('boot', chosenBoot);
    const text = params.toString();
    return text ? `?${text}` : '';
  }
  /** Reads the processes and redraws the small multiple; a failure leaves the last ones shown. */
  async function refreshProcesses(): Promise<void> {
    try {
      const body = await fetchProcesses(runId, thresholds);
      // A process without a sample yet has no series to show (it joins once it has one); what it
      // sent (snapshots of a hello-only sender) counts for the process shown, as the verdict does.
      processes = body.processes.filter((p) => p.sampleCount > 0);
      worstBoot = body.worst;
      if (chosenBoot === undefined || !processes.some((p) => p.boot === chosenBoot)) chosenBoot = busiestProcess(processes);
      document.body.dataset.process = chosenBoot ?? '';
      document.body.dataset.processes = String(processes.length);
      picker.render(processes, chosenBoot, worstBoot);
      if (processes.length <= 1) return;
      await Promise.all(
        processes.map(async (p) => {
          const series = await fetchSeries(runId, ['heapUsed'], { points: PROCESS_CHART_POINTS, boot: p.boot });
          picker.setHeap(p.boot, series.t, series.series.heapUsed?.avg ?? []);
        }),
      );
    } catch (err) {
      banner.show(err);
    }
  }
  await refreshProcesses();
  const knownBoots = (): Set<string> => new Set(processes.map((p) => p.boot));
  // Later reads may change the choice (the chosen process gone from the list): the panels follow.
  const refreshProcessesSoon = debounce(() => void refreshProcesses().then(followProcesses), 1000);
  let lastWindowMs = view.kind === 'follow' ? view.windowMs : null;
  const controls = createRangeControls(toolbarHost, {
    onWindow(windowMs) {
      lastWindowMs = windowMs;
      setView({ kind: 'follow', windowMs });
    },
    onLive() {
      setView({ kind: 'follow', windowMs: lastWindowMs });
    },
  });
  // The panel is created after the charts, but marker clicks only arrive once both exist.
  const markers = createSnapshotMarkers((id, shift) => snapshots.pick(id, shift));
  const gapBands = createGapBands();
  const runCharts = createRunCharts(grid, (from, to) => setView({ kind: 'fixed', from, to }), [markers.plugin], [gapBands.plugin]);
  window.leakwatchCharts = runCharts.charts;
  window.leakwatchGapBands = () => {
    const out = {} as Record<keyof RunChartSet, GapPosition[]>;
    for (const key of Object.keys(runCharts.charts) as (keyof RunChartSet)[]) out[key] = gapBands.positions(runCharts.charts[key]);
    return out;
  };
  window.leakwatchSnapshotMarkers = () => markers.positions(runCharts.charts.heap);
  const snapshots = createSnapshotPanel(snapshotsHost, runId, markers);
  const suspects = createSuspectsPanel(suspectsHost, runId);
  /** The panels show the chosen process (after a pick, or once the processes are read again). */
  function followProcesses(): void {
    suspects.hideProcesses(otherBoots());
    snapshots.showProcess(snapshotsBoot());
  }
  followProcesses();
  const sites = createSitesPanel(sitesHost, runId);
  const feeder = createChartFeeder(runCharts.charts, run.intervalMs);
  const verdict = createRunVerdict(verdictHost, {
    runId,
    thresholds,
    onResult(result) {
      showVerdictLines(runCharts.charts.heap, result);
      runCharts.update();
    },
    boot: () => chosenBoot,
  });
  window.addEventListener('pagehide', () => verdict.dispose());

  let loadGeneration = 0;
  let loadAbort: AbortController | null = null;
  let loading = false;
  let loadedOnce = false;
  let lastLoadAt = 0;
  /** Batches that arrived while a fetch was in flight; replayed after it (the feeder skips duplicates). */
  let pending: LiveBatchMessage[] = [];
  let socket: LiveSocket | null = null;
  /** The first load reuses the run fetched above. */
  let runIsFresh = true;
  /** When the live subscription last (re)started, to tell whether a fetch began before it. */
  let subscribedAt = -Infinity;

  function rangeParams(): RangeParams {
    const points = runCharts.plotWidth();
    const boot = chosenBoot === undefined ? {} : { boot: chosenBoot };
    if (view.kind === 'fixed') return { from: view.from, to: view.to, points, ...boot };
    if (view.windowMs === null) return { points, ...boot };
    return { from: (run.lastSampleAt ?? Date.now()) - view.windowMs, points, ...boot };
  }

  /** Puts the x range implied by the view on every chart, so they stay in sync. */
  function applyXRange(): void {
    let min: number | undefined;
    let max: number | undefined;
    if (view.kind === 'fixed') {
      min = view.from;
      max = view.to;
    } else {
      const latest = feeder.latest() ?? run.lastSampleAt;
      const first = run.firstSampleAt;
      if (latest !== null) {
        min = view.windowMs === null ? (first ?? latest) : Math.max(latest - view.windowMs, first ?? -Infinity);
      } else {
        // No samples yet: an axis from the run's start rather than from 1970.
        min = run.startedAt;
      }
      max = Math.max(latest ?? min, min + MIN_FOLLOW_SPAN_MS);
    }
    runCharts.setXRange(min, max);
    controls.setShownRange(min, max);
  }

  function showControls(): void {
    controls.show(view, run.status === 'live');
    document.body.dataset.range = view.kind === 'follow' ? 'follow' : 'fixed';
  }

  function setView(next: ViewRange): void {
    view = next;
    history.replaceState(null, '', `${location.pathname}${pageQuery()}`);
    showControls();
    // Sync every chart to the dragged range at once; the refetch then fills in detail.
    if (view.kind === 'fixed') applyXRange();
    void load();
  }

  async function load(): Promise<void> {
    const generation = ++loadGeneration;
    loadAbort?.abort();
    const abort = new AbortController();
    loadAbort = abort;
    loading = true;
    lastLoadAt = Date.now();
    controls.setBusy(true);
    try {
      if (!runIsFresh) {
        run = await fetchRun(runId, abort.signal);
        header.render(run);
        verdict.setStatus(run.status);
        showControls();
      }
      runIsFresh = false;
      const range = rangeParams();
      const queriedAt = performance.now();
      const [series, spaces, gc, gaps] = await Promise.all([
        fetchSeries(runId, SERIES_METRICS, range, abort.signal),
        fetchSpaces(runId, range, abort.signal),
        fetchGc(runId, range, abort.signal),
        fetchGaps(runId, abort.signal),
      ]);
      if (generation !== loadGeneration) return;
      feeder.load(series, spaces, gc);
      // Which process the charts now show (for tests; '' for the whole run).
      document.body.dataset.chartsProcess = range.boot ?? '';
      gapBands.set(gaps, run.intervalMs);
      document.body.dataset.gaps = String(gaps.length);
      loading = false;
      const replay = pending;
      pending = [];
      if (view.kind === 'follow') for (const batch of replay) feeder.append(batch);
      applyXRange();
      banner.clear();
      loadedOnce = true;
      setPageState('ready');
      syncLiveSocket();
      if (subscribedAt > queriedAt && view.kind === 'follow') queueMicrotask(() => void load());
    } catch (err) {
      if (abort.signal.aborted || generation !== loadGeneration) return;
      banner.show(err);
      if (!loadedOnce) setPageState('error');
    } finally {
      if (generation === loadGeneration) {
        loading = false;
        controls.setBusy(false);
      }
    }
  }

  function onBatch(batch: LiveBatchMessage): void {
    header.noteSamples(batch.samples ?? []);
    // A process not seen yet (a worker just started): the small multiple gets it.
    if (batch.boot !== undefined && !knownBoots().has(batch.boot)) refreshProcessesSoon();
    // The charts show one process: another one's rows are not theirs.
    if (chosenBoot !== undefined && batch.boot !== undefined && batch.boot !== chosenBoot) return;
    if (view.kind !== 'follow') return;
    if (loading) {
      pending.push(batch);
      return;
    }
    // A batch well after the last point: the probe was away, and may have reported lost samples.
    const previous = feeder.latest();
    const first = batch.samples?.[0]?.ts;
    if (previous !== null && first !== undefined && first - previous > 3 * run.intervalMs) refreshGaps();
    const latest = feeder.append(batch);
    if (latest !== null && view.windowMs !== null) feeder.trimBefore(latest - view.windowMs);
    applyXRange();
    const tooDense = feeder.pointCount() > MAX_POINTS_PER_PIXEL * runCharts.plotWidth();
    if (tooDense && Date.now() - lastLoadAt > MIN_REFETCH_GAP_MS) void load();
  }

  /** Gaps are stored with the batch that reports them, so asking once it was pushed finds them. */
  const refreshGaps = debounce(() => {
    fetchGaps(runId)
      .then((gaps) => {
        gapBands.set(gaps, run.intervalMs);
        document.body.dataset.gaps = String(gaps.length);
      })
      .catch((err: unknown) => banner.show(err));
  }, 300);

  function onLiveMessage(msg: LiveMessage): void {
    if (msg.type === 'batch' && msg.runId === runId) onBatch(msg);
    if (msg.type === 'snapshot' && msg.runId === runId) {
      snapshots.onSnapshot(msg.snapshot);
      // A newly ready snapshot has its suspects ranked: the panel and a leak verdict's culprits change.
      if (suspects.onSnapshot(msg.snapshot)) void verdict.refresh();
    }
    if (msg.type === 'alloc-profile' && msg.runId === runId) void sites.refresh();
    if (msg.type === 'run' && msg.run.id === runId) {
      run = msg.run;
      header.render(run);
      verdict.setStatus(run.status);
      showControls();
      syncLiveSocket();
    }
  }

  /** Subscribes while new data can still come (a lost run may come back); closes for ended runs. */
  function syncLiveSocket(): void {
    if (run.status === 'ended') {
      socket?.close();
      socket = null;
      controls.setConnection(null);
      snapshots.setLive(false);
      return;
    }
    if (socket) return;
    socket = createLiveSocket({
      onMessage: onLiveMessage,
      onStatus(connected) {
        controls.setConnection(connected ? 'connected' : 'reconnecting');
        snapshots.setLive(connected);
        suspects.setLive(connected);
        sites.setLive(connected);
        if (!connected) return;
        // Rows stored before this (re)subscription were never pushed to us: refetch so the
        // charts have no hole (a load whose range queries start later covers them anyway).
        subscribedAt = performance.now();
        if (loadedOnce && !loading && view.kind === 'follow') void load();
      },
    });
    socket.subscribe(runId);
  }

  window.setInterval(() => header.tick(), 5000);
  window.setInterval(() => {
    if (run.status === 'live') void refreshProcesses().then(followProcesses);
  }, PROCESS_REFRESH_MS);
  // A wider plot deserves more points; height-only changes need no refetch.
  let fetchedWidth = runCharts.plotWidth();
  window.addEventListener(
    'resize',
    debounce(() => {
      const width = runCharts.plotWidth();
      if (Math.abs(width - fetchedWidth) / fetchedWidth < 0.1) return;
      fetchedWidth = width;
      void load();
    }, 500),
  );
  showControls();
  verdict.setStatus(run.status);
  // Subscribe before the first fetch: pushes arriving meanwhile are buffered and replayed.
  syncLiveSocket();
  void snapshots.refresh();
  void suspects.refresh();
  void sites.refresh();
  await load();
}

function debounce(fn: () => void, ms: number): () => void {
  let timer: number | undefined;
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = window.setTimeout(fn, ms);
  };
}
