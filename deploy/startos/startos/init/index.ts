// What StartOS runs when the package is installed, updated, restored or started: the version
// graph, the interfaces, the dependency on Bitcoin (and its ZMQ task) and the actions.
import { actions } from '../actions';
import { restoreInit } from '../backups';
import { setDependencies } from '../dependencies';
import { setInterfaces } from '../interfaces';
import { sdk } from '../sdk';
import { versionGraph } from '../versions';

export const init = sdk.setupInit(restoreInit, versionGraph, setInterfaces, actions, setDependencies);

export const uninit = sdk.setupUninit(versionGraph);
