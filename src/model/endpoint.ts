/**
 * Something a flow can start or end at: a `Workload`, a `Zone` (all its workloads), a `Selector`
 * (all workloads whose labels match) or a `Peer` (addresses outside the model).
 *
 * Endpoints are resolved when the model is compiled, so a workload added after a flow was
 * declared still counts.
 */
export interface IFlowEndpoint {
  /**
   * A stable text form of the endpoint, e.g. `workload:api`, `zone:web`, `selector:app=web`,
   * `ipv4:10.0.0.0/8`. Used in construct ids, rule ids and messages.
   */
  readonly endpointKey: string;
}
