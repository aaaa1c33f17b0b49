// chainprice's StartOS actions: none yet (the service is configured from its dependency).
import { sdk } from '../sdk';

export const actions = sdk.Actions.of();
