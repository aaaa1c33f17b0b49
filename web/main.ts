// Entry point of the page (loaded by index.html as a module): builds the App (the live view) and
// the History view and starts them.
// Exports the running instance so tools on the same page (the browser benchmark) can reach it.

import { App } from './app.ts';
import { HistoryView } from './history-view.ts';

export const app = new App(document, window);
app.start();
export const history = new HistoryView(document, window);
history.start();
