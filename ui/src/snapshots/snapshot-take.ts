import type { SnapshotRecord } from '../../../src/api';
import { ApiError, requestSnapshot } from '../common/collector-api';
import { el } from '../common/dom';
import { errorText } from '../common/error-text';
import { isInFlight, progressText, snapshotLabel } from './snapshot-status';

/** What the collector said to "take snapshot", as shown next to the button. */
export type TakeAnswer = 'capturing' | 'refused' | 'failed' | 'running' | 'error';

/**
 * The "Take snapshot" button: asks the run's probe for a snapshot now and says what happened
 * (capturing, refused with the probe's reason, one already running, or no probe connected).
 */
export function createTakeSnapshot(runId: string, boot: () => string | undefined, onSnapshot: (snapshot: SnapshotRecord) => void) {
  const button = el('button', { type: 'button', class: 'take-button', 'data-action': 'take-snapshot', title: 'ask the probe for a heap snapshot now (the app pauses while V8 writes it)' }, 'Take snapshot');
  const answer = el('span', { class: 'take-answer', role: 'status', hidden: '' });
  const node = el('div', { class: 'take-snapshot' }, button, answer);
  /** The snapshot the last answer was about: its later progress replaces the answer's text. */
  let tracked: string | null = null;

  function show(kind: TakeAnswer, code: string, ...parts: (Node | string)[]): void {
    answer.dataset.answer = kind;
    delete answer.dataset.status;
    if (code) answer.dataset.code = code;
    else delete answer.dataset.code;
    answer.className = `take-answer take-${kind}`;
    answer.replaceChildren(...(code ? [el('code', {}, code), ' '] : []), ...parts);
    answer.hidden = false;
  }

  button.addEventListener('click', async () => {
    button.disabled = true;
    answer.hidden = true;
    tracked = null;
    try {
      // The process the page shows: its probe is asked, not whichever the collector would pick.
      const { snapshot, started } = await requestSnapshot(runId, boot());
      tracked = snapshot.id;
      if (!started) show('running', '', `a snapshot is already running (${progressText(snapshot) || snapshot.status}); it was not queued twice`);
      else if (snapshot.status === 'refused' || snapshot.status === 'failed') show(snapshot.status, snapshot.errorCode, `${snapshot.status}: ${snapshot.reason || 'no reason given'}`);
      else show('capturing', '', 'capturing… the list below shows its progress');
      answer.dataset.status = snapshot.status;
      onSnapshot(snapshot);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'LW_ERR_SNAPSHOT_NO_PROBE') show('error', err.code, 'no probe of this run is connected, so no snapshot can be taken');
      else {
        const shown = errorText(err);
        show('error', shown.code, shown.message);
      }
    } finally {
      button.disabled = false;
    }
  });

  return {
    node,
    /** A newer version of some snapshot: follows the one the answer is about until it is done. */
    note(snapshot: SnapshotRecord): void {
      if (snapshot.id !== tracked || answer.hidden) return;
      answer.dataset.status = snapshot.status;
      if (answer.dataset.answer === 'refused' || answer.dataset.answer === 'failed') return;
      if (isInFlight(snapshot)) {
        if (answer.dataset.answer === 'capturing') answer.replaceChildren(`${progressText(snapshot)}… the list below shows its progress`);
        return;
      }
      tracked = null;
      if (snapshot.status === 'ready') show(answer.dataset.answer === 'running' ? 'running' : 'capturing', '', `snapshot ${snapshotLabel(snapshot)} is ready`);
      else show(snapshot.status === 'refused' ? 'refused' : 'failed', snapshot.errorCode, `${snapshot.status}: ${snapshot.reason || 'no reason given'}`);
      answer.dataset.status = snapshot.status;
    },
  };
}
