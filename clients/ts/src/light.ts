// The read-only half of the client (REST queries, formatting, error words) without CosmJS.
export * from "./format.js";
export * from "./rest.js";
