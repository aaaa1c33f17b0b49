// The notices a feed gives its clients about the node behind it (FeedEvent `notice`), worded once:
// the node feed gives them as its node watch finds the node silent and back, and an edge gives the
// same from the publishing estimator's health, so a page behind an edge is told too.

import type { FeedEvent } from './feed.ts';

export const NODE_UNAVAILABLE: FeedEvent = {
  type: 'notice',
  code: 'node_unavailable',
  message: 'the node does not answer; the price shown is the last one, not live, until it answers again',
};

export const NODE_AVAILABLE: FeedEvent = {
  type: 'notice',
  code: 'node_available',
  message: 'the node answers again; the price is live',
};
