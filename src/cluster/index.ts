/**
 * Several daemons on one PostgreSQL database: leases, change events and their
 * acknowledgements (docs/ha.md).
 * @module
 */
export { ClusterNode, EVENT_RETENTION_MS, RESYNC } from './node.js';
export type { ClusterEvent, ClusterMember, ClusterMetrics, ClusterOptions, ClusterStatus, ClusterTls } from './node.js';
