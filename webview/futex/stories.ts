/**
 * What a story (a narrated schedule of a scenario) ends in under a given model. Story names are neutral;
 * the verdict shown next to them is computed by replaying the story's steps under the model the person
 * selected, so a name never claims "safe" where the same steps end in a violation. A story whose steps do
 * not replay under the selected model says so, and names the model it is written for.
 */
import { replay, type GlibcVersion, type MemoryModel, type ModelId, type Scenario, type Story, type ViolationKind } from '../../extension/domain/futex';

export interface StoryVerdict {
  model: ModelId;
  /** the model the story is written for (its own, else the scenario's). */
  writtenFor: ModelId;
  replays: boolean;
  /** the first violation's kind, 'none', or 'no-replay'. */
  kind: ViolationKind | 'none' | 'no-replay';
  /** the step of the first violation. */
  step?: number;
  steps: number;
  /** short text for the option and the badge: "use-after-free at step 7", "no violation", ... */
  text: string;
}

/** The verdict of a story's steps under `model` (with the run's glibc release and memory model, if given). */
export function storyVerdict(sc: Scenario, st: Story, model: ModelId, opts: { glibc?: GlibcVersion | null; memoryModel?: MemoryModel } = {}): StoryVerdict {
  const writtenFor = st.model ?? sc.model;
  let r;
  try {
    r = replay(sc, st.choices, model, opts);
  } catch (e) {
    r = { states: [], error: String(e) };
  }
  if (r.error !== undefined) {
    return { model, writtenFor, replays: false, kind: 'no-replay', steps: st.choices.length, text: `does not replay under ${model}` };
  }
  const at = r.states.findIndex((s) => (s.last?.violations?.length ?? 0) > 0);
  if (at > 0) {
    const v = r.states[at].last!.violations![0];
    return { model, writtenFor, replays: true, kind: v.kind, step: at, steps: st.choices.length, text: `${v.kind} at step ${at}` };
  }
  return { model, writtenFor, replays: true, kind: 'none', steps: st.choices.length, text: 'no violation' };
}

/** The option text: the neutral title, then the verdict under the selected model. */
export function storyLabel(st: Story, v: StoryVerdict): string {
  const wf = v.writtenFor !== v.model ? ` (written for ${v.writtenFor})` : '';
  return `${st.title} — ${v.model}: ${v.text}${wf}`;
}
