import crypto from 'node:crypto';
import { FakeCheckServer } from './fake-check-server.js';

type UnitQuery = { uscc?: string; org_name?: string; legal_representative?: string };

/**
 * A local stand-in for the real enterprise registry, speaking the README's contract on 127.0.0.1,
 * so tests drive the real HTTP adapter. It answers from its own small register of units unless a
 * script is set for the USCC asked about.
 */
export class FakeEnterpriseRegistry extends FakeCheckServer<UnitQuery> {
  private readonly units = new Map<string, { orgName: string; legalRepresentative: string }>();

  constructor() {
    super(`fake-registry-${crypto.randomBytes(8).toString('hex')}`, '/v1/entity-check');
  }

  addUnit(uscc: string, orgName: string, legalRepresentative: string): void {
    this.units.set(uscc, { orgName, legalRepresentative });
  }

  protected keyOf(query: UnitQuery | null): string | undefined {
    return query?.uscc;
  }

  protected matches(query: UnitQuery): boolean {
    const unit = query.uscc ? this.units.get(query.uscc) : undefined;
    return unit !== undefined && unit.orgName === query.org_name && unit.legalRepresentative === query.legal_representative;
  }
}
