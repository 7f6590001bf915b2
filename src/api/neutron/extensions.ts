/** The API extensions bmnet implements, as `GET /v2.0/extensions` lists them. */
import { ExtensionNotFound } from '../../domain/errors.ts';
import type { JsonObject } from '../wire.ts';

const UPDATED = '2026-11-26T00:00:00-00:00';

const EXTENSIONS: readonly [alias: string, name: string, description: string][] = [
  ['provider', 'Provider Network', 'Expose mapping of virtual networks to physical networks'],
  ['binding', 'Port Binding', 'Expose port bindings of a virtual port to external application'],
  [
    'extra_dhcp_opt',
    'Neutron Extra DHCP options',
    'Extra options configuration for DHCP. For example PXE boot options to DHCP clients can be specified (e.g. tftp-server, server-ip-address, bootfile-name)',
  ],
  ['segment', 'Segment', 'Segments extension.'],
  ['external-net', 'Neutron external network', 'Adds external network attribute to network resource.'],
  ['net-mtu', 'Network MTU', 'Provides MTU attribute for a network resource.'],
  ['port-mac-address-regenerate', 'Neutron Port MAC address regenerate', 'Network port MAC address regenerate'],
  ['project-id', 'project_id field enabled', 'Extension that indicates that project_id field is enabled.'],
  ['standard-attr-description', 'standard-attr-description', 'Extension to add descriptions to standard attributes'],
  [
    'standard-attr-timestamp',
    'Resource timestamps',
    'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.',
  ],
  [
    'standard-attr-revisions',
    'Resource revision numbers',
    'This extension will display the revision number of neutron resources.',
  ],
  [
    'revision-if-match',
    'If-Match constraints based on revision_number',
    'Extension indicating that If-Match based on revision_number is supported.',
  ],
  ['filter-validation', 'Filter parameters validation', 'Provides validation on filter parameters.'],
  ['fields', 'Fields', 'Select the attributes to show with the fields query parameter.'],
  ['pagination', 'Pagination support', 'Extension that indicates that pagination is enabled.'],
  ['sorting', 'Sorting support', 'Extension that indicates that sorting is enabled.'],
  ['sort-key-validation', 'Sort keys validation', 'Validate sort keys'],
];

function entry([alias, name, description]: readonly [string, string, string]): JsonObject {
  return { alias, name, description, links: [], updated: UPDATED };
}

export function listExtensions(): JsonObject[] {
  return EXTENSIONS.map(entry);
}

export function showExtension(alias: string): JsonObject {
  const e = EXTENSIONS.find(([a]) => a === alias);
  if (!e) throw new ExtensionNotFound(alias);
  return entry(e);
}
