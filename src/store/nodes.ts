/** Nodes and node operations (bmnet's node API). */
import type { NetworkStage, Node } from '../domain/node.ts';
import type { Db } from './filters.ts';
import type { NodesTable } from './schema.ts';

export interface NodeOperation {
  readonly id: string;
  readonly nodeId: string;
  readonly targetStage: NetworkStage;
  readonly state: 'running' | 'succeeded' | 'failed';
  readonly portIds: readonly string[];
  readonly error: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

function fromRow(r: NodesTable): Node {
  const body = JSON.parse(r.body) as Pick<Node, 'nics' | 'portGroups' | 'boot'>;
  return {
    id: r.id,
    name: r.name,
    nics: body.nics,
    portGroups: body.portGroups,
    boot: body.boot,
    stage: r.stage as NetworkStage,
    targetStage: r.target_stage as NetworkStage | null,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    revisionNumber: r.revision_number,
  };
}

function toRow(n: Node): NodesTable {
  return {
    id: n.id,
    name: n.name,
    body: JSON.stringify({ nics: n.nics, portGroups: n.portGroups, boot: n.boot }),
    stage: n.stage,
    target_stage: n.targetStage,
    last_error: n.lastError,
    created_at: n.createdAt,
    updated_at: n.updatedAt,
    revision_number: n.revisionNumber,
  };
}

export class NodeRepo {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  async get(idOrName: string): Promise<Node | null> {
    const r = await this.db
      .selectFrom('nodes')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .executeTakeFirst();
    return r ? fromRow(r) : null;
  }

  async list(): Promise<Node[]> {
    return (await this.db.selectFrom('nodes').selectAll().orderBy('name').execute()).map(fromRow);
  }

  async insert(n: Node): Promise<void> {
    await this.db.insertInto('nodes').values(toRow(n)).execute();
  }

  async update(n: Node): Promise<void> {
    await this.db.updateTable('nodes').set(toRow(n)).where('id', '=', n.id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('node_operations').where('node_id', '=', id).execute();
    await this.db.deleteFrom('nodes').where('id', '=', id).execute();
  }

  async putOperation(op: NodeOperation): Promise<void> {
    const row = {
      id: op.id,
      node_id: op.nodeId,
      target_stage: op.targetStage,
      state: op.state,
      port_ids: JSON.stringify(op.portIds),
      error: op.error,
      created_at: op.createdAt,
      updated_at: op.updatedAt,
    };
    await this.db
      .insertInto('node_operations')
      .values(row)
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet({ state: row.state, port_ids: row.port_ids, error: row.error, updated_at: row.updated_at }),
      )
      .execute();
  }

  async operation(id: string): Promise<NodeOperation | null> {
    const r = await this.db.selectFrom('node_operations').selectAll().where('id', '=', id).executeTakeFirst();
    return r
      ? {
          id: r.id,
          nodeId: r.node_id,
          targetStage: r.target_stage as NetworkStage,
          state: r.state as NodeOperation['state'],
          portIds: JSON.parse(r.port_ids) as string[],
          error: r.error,
          createdAt: r.created_at,
          updatedAt: r.updated_at,
        }
      : null;
  }

  async runningOperations(): Promise<NodeOperation[]> {
    const rows = await this.db.selectFrom('node_operations').select('id').where('state', '=', 'running').execute();
    const ops = await Promise.all(rows.map((r) => this.operation(r.id)));
    return ops.filter((o): o is NodeOperation => o !== null);
  }
}
