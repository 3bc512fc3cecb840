import { ApiError } from './common/collector-api';
import { createBanner } from './common/banner';
import { setPageState } from './common/dom';
import { startComparePage } from './compare/compare-page';
import { startRunPage } from './run/run-page';
import { startRunsPage } from './runs/runs-page';

/** Routes by path: `/` is the runs list, `/runs/:id` a run page, `/compare?a=&b=` two runs side by side. */
function main(): void {
  const root = document.getElementById('app');
  if (!root) throw new Error('index.html lacks <main id="app">');
  const path = location.pathname.replace(/\/+$/, '') || '/';
  if (path === '/') {
    startRunsPage(root);
    return;
  }
  if (path === '/compare') {
    void startComparePage(root);
    return;
  }
  const match = /^\/runs\/([^/]+)$/.exec(path);
  if (match) {
    startRunPage(root, decodeURIComponent(match[1])).catch((err: unknown) => {
      createBanner(root).show(err);
      setPageState('error');
    });
    return;
  }
  createBanner(root).show(new ApiError('LW_ERR_NOT_FOUND', `no page ${location.pathname}`, 404));
  setPageState('error');
}

main();
