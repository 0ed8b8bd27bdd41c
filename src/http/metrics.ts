/**
 * Counters for `GET /v1/sys/metrics`, rendered in the Prometheus text exposition format
 * (version 0.0.4). Labels are route patterns (`/v1/sessions/:id`), never raw URLs, so
 * the number of series stays bounded whatever clients send; unmatched URLs share the
 * label `unmatched`.
 * @module
 */
import type { ClusterMetrics, ClusterStatus } from '../cluster/index.js';

export interface MetricsSnapshot {
  /** 1 when sealed. */
  readonly sealed: boolean;
  readonly initialized: boolean;
  readonly sessionsActive: number;
  /** Entries in the audit log (undefined when it cannot be read). */
  readonly auditEntries: number | undefined;
  readonly uptimeSeconds: number;
  /** This node's cluster figures, on PostgreSQL. */
  readonly cluster?: ClusterMetrics & ClusterStatus;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class Metrics {
  /** "method route status" -> count. */
  readonly #requests = new Map<string, { method: string; route: string; status: number; n: number }>();
  #auditFailures = 0;
  #authFailures = 0;
  #rateLimited = 0;

  request(method: string, route: string | undefined, status: number): void {
    const r = route ?? 'unmatched';
    const key = `${method} ${r} ${status}`;
    const hit = this.#requests.get(key);
    if (hit !== undefined) hit.n++;
    else this.#requests.set(key, { method, route: r, status, n: 1 });
  }

  auditFailure(): void {
    this.#auditFailures++;
  }

  authFailure(): void {
    this.#authFailures++;
  }

  rateLimited(): void {
    this.#rateLimited++;
  }

  render(s: MetricsSnapshot): string {
    const lines: string[] = [];
    const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: string[]): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
    };
    metric(
      'ontoref_vault_http_requests_total',
      'counter',
      'HTTP requests answered, by method, route pattern and status.',
      [...this.#requests.values()].map(
        (r) => `ontoref_vault_http_requests_total{method="${escapeLabel(r.method)}",route="${escapeLabel(r.route)}",status="${r.status}"} ${r.n}`,
      ),
    );
    metric('ontoref_vault_auth_failures_total', 'counter', 'Failed key exchanges and rejected bearer tokens.', [
      `ontoref_vault_auth_failures_total ${this.#authFailures}`,
    ]);
    metric('ontoref_vault_rate_limited_total', 'counter', 'Requests answered 429.', [`ontoref_vault_rate_limited_total ${this.#rateLimited}`]);
    metric('ontoref_vault_audit_failures_total', 'counter', 'Requests refused because their audit entry could not be written.', [
      `ontoref_vault_audit_failures_total ${this.#auditFailures}`,
    ]);
    metric('ontoref_vault_sessions_active', 'gauge', 'Sessions held in memory (expired ones not yet swept included).', [
      `ontoref_vault_sessions_active ${s.sessionsActive}`,
    ]);
    metric('ontoref_vault_sealed', 'gauge', '1 when the vault is sealed.', [`ontoref_vault_sealed ${s.sealed ? 1 : 0}`]);
    metric('ontoref_vault_initialized', 'gauge', '1 when the vault has been set up.', [`ontoref_vault_initialized ${s.initialized ? 1 : 0}`]);
    if (s.auditEntries !== undefined) {
      metric('ontoref_vault_audit_entries', 'gauge', 'Entries in the audit log.', [`ontoref_vault_audit_entries ${s.auditEntries}`]);
    }
    const c = s.cluster;
    if (c !== undefined) {
      const node = `{node="${escapeLabel(c.node)}"}`;
      metric('ontoref_vault_cluster_serving', 'gauge', "1 while this node's lease is live and it serves authenticated requests.", [
        `ontoref_vault_cluster_serving${node} ${c.role === 'active' ? 1 : 0}`,
      ]);
      if (c.leaseAgeMs !== null) {
        metric('ontoref_vault_cluster_lease_age_seconds', 'gauge', "Seconds since this node's last successful lease renewal.", [
          `ontoref_vault_cluster_lease_age_seconds${node} ${(c.leaseAgeMs / 1000).toFixed(3)}`,
        ]);
      }
      metric('ontoref_vault_cluster_events_applied_total', 'counter', "Other nodes' change events applied here.", [`ontoref_vault_cluster_events_applied_total${node} ${c.eventsApplied}`]);
      metric('ontoref_vault_cluster_renewal_failures_total', 'counter', 'Lease renewals that failed.', [`ontoref_vault_cluster_renewal_failures_total${node} ${c.renewalFailures}`]);
      metric('ontoref_vault_cluster_ack_waits_total', 'counter', 'Revocations that waited for the other nodes to apply them.', [`ontoref_vault_cluster_ack_waits_total${node} ${c.ackWaits}`]);
      metric('ontoref_vault_cluster_ack_wait_seconds_total', 'counter', 'Time those revocations spent waiting.', [
        `ontoref_vault_cluster_ack_wait_seconds_total${node} ${c.ackWaitSeconds.toFixed(3)}`,
      ]);
      metric('ontoref_vault_cluster_members_live', 'gauge', 'Nodes whose lease is live, as of the last renewal.', [
        `ontoref_vault_cluster_members_live${node} ${c.members.filter((m) => m.live).length}`,
      ]);
    }
    metric('ontoref_vault_uptime_seconds', 'gauge', 'Seconds since the daemon started.', [`ontoref_vault_uptime_seconds ${s.uptimeSeconds.toFixed(3)}`]);
    return `${lines.join('\n')}\n`;
  }
}
