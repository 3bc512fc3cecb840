export { createAccessControl, type AccessControl, type AccessOptions } from './access-control';
export { checkBindPolicy, isLoopbackHost } from './bind-policy';
export { secretsEqual } from './token-compare';
