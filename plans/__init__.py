"""The plan pipeline: stored plans kept true to stored runs, with the athlete's hand edits on top.

`pipeline.PlanPipeline` is the EffectHook the event processor calls inside each event's transaction;
`commands` are what the internal API does; `views` are the read models of the API and the CLI.
See docs/api.md for the behaviour, and docs/planner.md for the coaching rules underneath.
"""
