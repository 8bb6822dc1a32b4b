/** What every console page receives from the router (a leaf module, so pages need not import the route table). */
export interface RouteProps {
  /** The `:name` parts of the path. */
  params: Record<string, string>;
}
