// Entry point of the page (loaded by index.html as a module): builds the App and starts it.
// Exports the running instance so tools on the same page (the browser benchmark) can reach it.

import { App } from './app.ts';

export const app = new App(document, window);
app.start();
