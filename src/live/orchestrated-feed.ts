// A LiveFeed that answers everything from its orchestrator. The node feed and the demo feed extend
// it and add only what differs: where their transactions come from, and the notices their source
// gives (emitEvent: e.g. the node does not answer).

import type {
  EvidencePoint,
  FeedEvent,
  FeedHealth,
  LiveFeed,
  LiveHistogram,
  LiveState,
  LiveUpdate,
  SourceKind,
} from './feed.ts';
import type { Orchestrator } from './orchestrator.ts';

export abstract class OrchestratedFeed implements LiveFeed {
  abstract readonly source: SourceKind;
  abstract readonly orchestrator: Orchestrator;
  private readonly eventListeners = new Set<(event: FeedEvent) => void>();

  current(): LiveState | null {
    return this.orchestrator.current();
  }

  evidence(limit: number): EvidencePoint[] {
    return this.orchestrator.evidence(limit);
  }

  histogram(): LiveHistogram | null {
    return this.orchestrator.histogram();
  }

  health(): FeedHealth {
    return this.orchestrator.health();
  }

  onUpdate(listener: (update: LiveUpdate) => void): () => void {
    return this.orchestrator.onUpdate(listener);
  }

  onEvent(listener: (event: FeedEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  protected emitEvent(event: FeedEvent): void {
    for (const listener of this.eventListeners) listener(event);
  }

  start(): Promise<void> {
    return this.orchestrator.start();
  }

  stop(): Promise<void> {
    return this.orchestrator.stop();
  }
}
