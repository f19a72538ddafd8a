// Readiness, not speed: findBy*/waitFor poll until what they wait for is there. Their default
// ceiling (1 s) is shorter than a lazily loaded view takes on a loaded CI machine, which made
// App.test.ts fail under load; a passing test never waits longer for a higher ceiling.
import { configure } from '@testing-library/svelte';

configure({ asyncUtilTimeout: 10_000 });
