/** The curator's dashboard: the server, the live chain read behind it and the page's view model. */
export { type Dashboard, DashboardStartError, type DashboardStartErrorType, type StartDashboardParameters, startDashboard } from './server.js'
export { type LiveReaderContext, type LiveState, createLiveReader } from './live.js'
export { type DashboardState, buildDashboardState } from './view.js'
export { type YieldPeriod, type YieldReader, type YieldView, createYieldReader } from './realised.js'
