// What chainprice offers on StartOS: its web interface (the chart, the API and the WebSocket
// stream, all on one port).
import { sdk } from './sdk';
import { uiPort } from './utils';

export const setInterfaces = sdk.setupInterfaces(async ({ effects }) => {
  const origin = await sdk.MultiHost.of(effects, 'ui').bindPort(uiPort, { protocol: 'http' });
  const ui = sdk.createInterface(effects, {
    name: 'Web interface',
    id: 'ui',
    description: 'The live price chart, the price history, the API and the stream',
    type: 'ui',
    masked: false,
    schemeOverride: null,
    username: null,
    path: '',
    query: {},
  });
  return [await origin.export([ui])];
});
