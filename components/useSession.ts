// The one binding between the engine and React: the view model, read with useSyncExternalStore.

import { useSyncExternalStore } from 'react';
import type { ConsoleController } from '../src/console/controller.js';
import type { ViewModel } from '../src/view/model.js';

export function useSession(controller: ConsoleController): ViewModel {
  return useSyncExternalStore(controller.subscribe, controller.getSnapshot, controller.getSnapshot);
}
