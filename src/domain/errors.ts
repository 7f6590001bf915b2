/**
 * Domain errors. One class per condition; the class name is the NeutronError `type` Neutron uses for
 * the same condition, and the HTTP status comes from the base class (api/errors.ts is the only mapping).
 */
export abstract class BmnetError extends Error {
  abstract readonly status: 400 | 401 | 403 | 404 | 409 | 412 | 413 | 503;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export abstract class BadRequest extends BmnetError {
  readonly status = 400;
}
export abstract class NotAuthorized extends BmnetError {
  readonly status = 403;
}
export abstract class NotFound extends BmnetError {
  readonly status = 404;
}
export abstract class Conflict extends BmnetError {
  readonly status = 409;
}
export abstract class ServiceUnavailable extends BmnetError {
  readonly status = 503;
}

// --- 400 ---
export class InvalidInput extends BadRequest {
  readonly detail: string;

  constructor(detail: string) {
    super(`Invalid input for operation: ${detail}.`);
    this.detail = detail;
  }
}
export class HTTPBadRequest extends BadRequest {}
export class InvalidAllocationPool extends BadRequest {
  constructor(pool: string) {
    super(`The allocation pool ${pool} is not valid.`);
  }
}
export class OutOfBoundsAllocationPool extends BadRequest {
  constructor(pool: string, cidr: string) {
    super(`The allocation pool ${pool} spans beyond the subnet cidr ${cidr}.`);
  }
}
export class OverlappingAllocationPools extends BadRequest {
  constructor(a: string, b: string, subnetCidr: string) {
    super(`Found overlapping allocation pools: ${a} and ${b} for subnet ${subnetCidr}.`);
  }
}
export class GatewayConflictWithAllocationPools extends Conflict {
  constructor(pool: string, ip: string) {
    super(`Gateway ip ${ip} conflicts with allocation pool ${pool}.`);
  }
}
export class InvalidIpForSubnet extends BadRequest {
  constructor(ip: string) {
    super(`IP address ${ip} is not a valid IP for the specified subnet.`);
  }
}
export class InvalidIpForNetwork extends BadRequest {
  constructor(ip: string) {
    super(`IP address ${ip} is not a valid IP for any of the subnets on the specified network.`);
  }
}
export class InvalidCIDR extends BadRequest {
  constructor(cidr: string) {
    super(`Invalid CIDR ${cidr} for IP network.`);
  }
}
export class HTTPUnauthorized extends BmnetError {
  readonly status = 401;
  constructor() {
    super('Authentication required: X-Auth-Token is missing or not known.');
  }
}
export class PolicyNotAuthorized extends NotAuthorized {
  constructor(action: string) {
    super(`(rule:${action}) is disallowed by policy`);
  }
}

// --- 404 ---
export class NetworkNotFound extends NotFound {
  readonly networkId: string;

  constructor(networkId: string) {
    super(`Network ${networkId} could not be found.`);
    this.networkId = networkId;
  }
}
export class SubnetNotFound extends NotFound {
  readonly subnetId: string;

  constructor(subnetId: string) {
    super(`Subnet ${subnetId} could not be found.`);
    this.subnetId = subnetId;
  }
}
export class PortNotFound extends NotFound {
  readonly portId: string;

  constructor(portId: string) {
    super(`Port ${portId} could not be found.`);
    this.portId = portId;
  }
}
export class SegmentNotFound extends NotFound {
  readonly segmentId: string;

  constructor(segmentId: string) {
    super(`Segment ${segmentId} could not be found.`);
    this.segmentId = segmentId;
  }
}
export class ExtensionNotFound extends NotFound {
  readonly alias: string;

  constructor(alias: string) {
    super(`Extension with alias ${alias} does not exist.`);
    this.alias = alias;
  }
}
export class HTTPNotFound extends NotFound {}

// --- 409 ---
export class NetworkInUse extends Conflict {
  readonly networkId: string;

  constructor(networkId: string) {
    super(
      `Unable to complete operation on network ${networkId}. There are one or more ports still in use on the network.`,
    );
    this.networkId = networkId;
  }
}
export class SubnetInUse extends Conflict {
  readonly subnetId: string;

  constructor(subnetId: string) {
    super(
      `Unable to complete operation on subnet ${subnetId}: One or more ports have an IP allocation from this subnet.`,
    );
    this.subnetId = subnetId;
  }
}
export class MacAddressInUse extends Conflict {
  constructor(networkId: string, mac: string) {
    super(`Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`);
  }
}
export class IpAddressAlreadyAllocated extends Conflict {
  constructor(ip: string, subnetId: string) {
    super(`IP address ${ip} already allocated in subnet ${subnetId}`);
  }
}
export class IpAddressGenerationFailure extends Conflict {
  constructor(networkId: string) {
    super(`No more IP addresses available on network ${networkId}.`);
  }
}
export class VlanIdInUse extends Conflict {
  constructor(vlan: number, physnet: string) {
    super(`Unable to create the network. The VLAN ${vlan} on physical network ${physnet} is in use.`);
  }
}
export class FlatNetworkInUse extends Conflict {
  constructor(physnet: string) {
    super(`Unable to create the flat network. Physical network ${physnet} is in use.`);
  }
}
export class PortBound extends Conflict {
  constructor(portId: string, vifType: string, oldMac: string, newMac: string) {
    super(
      `Unable to complete operation on port ${portId}, port is already bound, port type: ${vifType}, old_mac ${oldMac}, new_mac ${newMac}.`,
    );
  }
}
export class SubnetOverlap extends BadRequest {
  constructor(cidr: string, otherSubnetId: string, otherCidr: string) {
    super(
      `Invalid input for operation: Requested subnet with cidr: ${cidr} for network overlaps with another subnet ${otherSubnetId} (${otherCidr}).`,
    );
  }
}

// --- 412 / 413 ---
export class RevisionNumberConstraintFailed extends BmnetError {
  readonly status = 412;
  constructor(expected: number, current: number) {
    super(`Constrained to ${expected}, but current revision is ${current}`);
  }
}
export class RequestEntityTooLarge extends BmnetError {
  readonly status = 413;
  constructor(limitBytes: number) {
    super(`Request is too large: the body is over ${limitBytes} bytes.`);
  }
}

// --- 503 ---
export class NoNetworkAvailable extends ServiceUnavailable {
  constructor() {
    super('Unable to create the network. No tenant network is available for allocation.');
  }
}

/** For exhaustive switches over discriminated unions. */
export function assertNever(x: never): never {
  throw new Error(`unexpected value ${JSON.stringify(x)}`);
}

// --- switch devices (recorded on ports and switch health; not API errors) ---
/** The switch answered a change with an error. `output` has secrets redacted. */
export class SwitchRejected extends ServiceUnavailable {
  readonly switchName: string;
  readonly command: string;
  readonly output: string;

  constructor(switchName: string, command: string, output: string) {
    super(`Switch ${switchName} rejected '${command}': ${output}`);
    this.switchName = switchName;
    this.command = command;
    this.output = output;
  }
}
/** The switch could not be reached or stopped answering. */
export class SwitchUnreachable extends ServiceUnavailable {
  readonly switchName: string;

  constructor(switchName: string, reason: string, options?: ErrorOptions) {
    super(`Switch ${switchName} is unreachable: ${reason}`, options);
    this.switchName = switchName;
  }
}

// --- DHCP attachments (recorded on the network's DHCP port and in logs; not API errors) ---
/** The DHCP socket of a network's attachment could not be opened in its namespace. */
export class DhcpSocketUnavailable extends ServiceUnavailable {
  readonly namespace: string;

  constructor(namespace: string, reason: string) {
    super(`Could not open a DHCP socket in namespace ${namespace}: ${reason}`);
    this.namespace = namespace;
  }
}

/** A step of a network's DHCP attachment (OVS internal port, namespace, address) failed; retried later. */
export class DhcpAttachmentFailed extends ServiceUnavailable {
  readonly networkId: string;

  constructor(networkId: string, step: string, reason: string, options?: ErrorOptions) {
    super(`DHCP attachment of network ${networkId} failed to ${step}: ${reason}`, options);
    this.networkId = networkId;
  }
}

// --- boot role (logged and retried with the attachment; not API errors) ---
/** A TFTP or HTTP socket could not be opened in a boot network's namespace. */
export class BootSocketUnavailable extends ServiceUnavailable {
  readonly namespace: string;

  constructor(namespace: string, reason: string) {
    super(`Could not open a boot socket in namespace ${namespace}: ${reason}`);
    this.namespace = namespace;
  }
}
