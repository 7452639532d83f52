import crypto from 'node:crypto';
import { FakeCheckServer } from './fake-check-server.js';

type PersonQuery = { name?: string; document_type?: string; document_number?: string };

/**
 * A local stand-in for the real identity authority, speaking the README's contract on 127.0.0.1,
 * so tests drive the real HTTP adapter. It answers from its own small register unless a script
 * is set for the document number asked about.
 */
export class FakeIdentityAuthority extends FakeCheckServer<PersonQuery> {
  private readonly people = new Map<string, string>();

  constructor() {
    super(`fake-authority-${crypto.randomBytes(8).toString('hex')}`, '/v1/person-check');
  }

  addPerson(name: string, documentType: string, documentNumber: string): void {
    this.people.set(`${documentType}:${documentNumber}`, name);
  }

  protected keyOf(query: PersonQuery | null): string | undefined {
    return query?.document_number;
  }

  protected matches(query: PersonQuery): boolean {
    const registered = this.people.get(`${query.document_type}:${query.document_number}`);
    return registered !== undefined && registered === query.name;
  }
}
