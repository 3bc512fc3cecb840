/** The shape of fake-payload.js, for the TypeScript samples. */
export declare function fakePayload(label: string, bytes: number): string;
