import harness

fault = harness.DownFault(kind="down")  # connections refused
scenario = harness.Scenario(
    name="bpjs-blip",
    title="BPJS down for 6 seconds while the front desk registers patients",
    # ~11 requests a second: enough for the checks' 95 % intervals to decide (harness validate)
    load=harness.Load(users={"FrontDeskStaff": 10, "AppPatient": 4}, spawn_rate=14, duration=14),
    timeline=harness.Timeline(
        steps=(harness.Step(at=4, until=10, target=harness.ServiceName.BPJS, fault=fault),)
    ),
    checks=harness.Checks(
        served_rate=harness.ServedRateCheck(during=0.9), nothing_lost=harness.NothingLostCheck()
    ),
    steady_state=harness.SteadyState(
        after=harness.SteadyStateWindow(duration=14, min_served_rate=0.95)  # >= 73 requests
    ),
    drain=3,
)

if __name__ == "__main__":
    client = "examples/clients/resilient.yaml"  # its relative paths start from its own folder
    result = harness.run(scenario, client=client, on_event=harness.ProgressLine())
    print(f"{result.verdict.upper()} (exit {result.exit_code}): {result.report_path}")
    raise SystemExit(result.exit_code)
