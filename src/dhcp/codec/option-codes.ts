/** DHCPv4 protocol numbers: one table per field, each entry with the RFC that defines it. */

/** BOOTP `op` field (RFC 951, RFC 2131 §2). */
export const BootOp = { Request: 1, Reply: 2 } as const;

/** `htype` for Ethernet (RFC 1700 ARP hardware types). */
export const HardwareType = { Ethernet: 1 } as const;

/** Option codes (RFC 2132 unless noted). */
export const Opt = {
  Pad: 0,
  SubnetMask: 1,
  Router: 3,
  DnsServers: 6,
  HostName: 12,
  DomainName: 15,
  InterfaceMtu: 26,
  BroadcastAddress: 28,
  NtpServers: 42,
  VendorSpecific: 43,
  RequestedIp: 50,
  LeaseTime: 51,
  Overload: 52,
  MessageType: 53,
  ServerId: 54,
  ParameterRequestList: 55,
  Message: 56,
  MaxMessageSize: 57,
  RenewalTime: 58,
  RebindingTime: 59,
  VendorClass: 60,
  ClientId: 61,
  TftpServerName: 66,
  BootfileName: 67,
  /** RFC 3004 */
  UserClass: 77,
  /** RFC 3046 */
  RelayAgentInfo: 82,
  /** RFC 4578 §2.1 */
  ClientArch: 93,
  /** RFC 4578 §2.2 */
  ClientNdi: 94,
  /** RFC 4578 §2.3 */
  ClientUuid: 97,
  /** RFC 3442 */
  ClasslessRoutes: 121,
  /** RFC 5859 */
  TftpServerAddress: 150,
  /** iPXE encapsulated options (IANA tentatively assigned; ipxe.org/cfg) */
  Ipxe: 175,
  End: 255,
} as const;

/** Option 52 values (RFC 2132 §9.3): which header fields carry options. */
export const Overload = { File: 1, Sname: 2, Both: 3 } as const;

/** Option 53 values (RFC 2132 §9.6). */
export const MessageType = {
  Discover: 1,
  Offer: 2,
  Request: 3,
  Decline: 4,
  Ack: 5,
  Nak: 6,
  Release: 7,
  Inform: 8,
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];
export type MessageTypeName = keyof typeof MessageType;

/** Sub-options of iPXE's encapsulated option 175 (ipxe.org/cfg, src/include/ipxe/dhcp.h). */
export const IpxeOpt = {
  /** `no-pxedhcp`: skip waiting for ProxyDHCP offers. */
  NoPxeDhcp: 176,
} as const;

/** Well-known UDP ports (RFC 2131 §4.1). */
export const DhcpPort = { Server: 67, Client: 68 } as const;

/** The BROADCAST bit of the `flags` field (RFC 2131 §2, figure 2). */
export const BROADCAST_FLAG = 0x8000;

/** RFC 2131 §3: the options field starts with the magic cookie 99.130.83.99. */
export const MAGIC_COOKIE = 0x63825363;
