/**
 * Vocabulary for seeded chat messages, roughly most common first: the seed picks word i with a skewed
 * (Zipf-like) distribution, so early words are frequent and late ones rare, as in real chat.
 */
export const WORDS = `
the to and a of it is that you in for this on with have be are not just but was so can what
about if like all we get do from at your one out up there my know they will no think would time
me how when he or some now see good more back go really yeah well need make here then also want
people work still thanks today tomorrow meeting deploy release build server client message room
please check issue fix test merge branch review update change version bug error problem idea plan
call later week friday monday lunch coffee team project ticket sprint design feature launch data
database query index cache latency memory socket network config setting deadline customer product
document report draft email link file upload image video screen share demo question answer help
support user account login password token session access permission admin owner member channel
thread reply reaction emoji status online offline away busy typing search history unread notify
notification mobile desktop browser chrome firefox safari android iphone laptop keyboard monitor
weekend holiday vacation birthday party dinner breakfast pizza music movie game football weather
rain sunny snow travel flight hotel train ticket office remote home morning evening night minute
hour month year quarter budget invoice payment contract meeting agenda notes summary action item
priority urgent blocker blocked waiting pending done finished started progress estimate scope risk
backend frontend pipeline container kubernetes docker cluster node shard replica backup restore
migration schema column table row transaction commit rollback lock timeout retry queue worker job
schedule cron script shell terminal command output input parse format render template component
style color font layout responsive animation button modal dialog form field validation submit cancel
delete remove archive export import sync offline conflict merge rebase cherry tag label milestone
roadmap strategy vision mission growth revenue marketing sales partner vendor interview candidate
onboarding training workshop conference webinar presentation slides spreadsheet chart dashboard
metric alert incident outage postmortem monitoring logging tracing profiling benchmark performance
throughput capacity scaling autoscale loadbalancer firewall certificate encryption security audit
compliance privacy policy legal license opensource contributor maintainer community discussion
proposal feedback suggestion improvement refactor cleanup rewrite prototype experiment hypothesis
analysis research insight learning knowledge wiki handbook guideline checklist template example
`
  .trim()
  .split(/\s+/);

/** Search terms: a prefix (the first 4+ letters) of a word, as a user typing would send. */
export function searchTerm(i: number): string {
  const candidates = WORDS.filter((w) => w.length >= 4);
  const w = candidates[(i * 7919) % candidates.length]!;
  return w.length > 5 ? w.slice(0, 5) : w;
}
