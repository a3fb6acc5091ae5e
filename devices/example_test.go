package devices_test

import (
	"context"
	"fmt"
	"time"

	"ocmsim/devices"
)

// Example shows what a scenario runner does with a fleet: add the tenant's
// devices, register them, place a PSTN call, check who rang, wait for the
// answer, hang up and read the media report. (Not run: it needs a proxy.)
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fl, err := devices.NewFleet(devices.Config{Proxy: "127.0.0.1:5060", Domain: "contoso.example"})
	if err != nil {
		panic(err)
	}
	defer fl.Close()
	_ = fl.Add(devices.Spec{ID: "alice-laptop", Password: "change-me", Kind: devices.TeamsDesktop,
		Behaviour: devices.Behaviour{RingAfter: 20 * time.Millisecond, Answer: devices.Answer{After: 300 * time.Millisecond}}})
	_ = fl.Add(devices.Spec{ID: "alice-iphone-native", Password: "change-me", Kind: devices.NativeDialer,
		Behaviour: devices.Behaviour{Answer: devices.Answer{Never: true}, Network: devices.Cellular}})
	if err := fl.RegisterAll(ctx); err != nil {
		panic(err) // every failure, joined; errors.Is(err, devices.ErrUnauthorized) for bad credentials
	}

	c, err := fl.Dial(ctx, devices.CallRequest{From: "+12065550123", To: "+14255550100", Media: true})
	if err != nil {
		panic(err)
	}
	final, err := c.Wait(ctx, devices.CallerIs(devices.Final))
	if err != nil {
		panic(err)
	}
	fmt.Println("final", final.Code)
	for _, e := range c.Events(devices.Is(devices.InviteReceived, "")) {
		fmt.Printf("%s rang at +%v\n", e.Device, e.At.Sub(c.Started))
	}
	if _, err := c.Wait(ctx, devices.Is(devices.AnsweredElsewhere, "alice-iphone-native")); err != nil {
		panic(err)
	}
	time.Sleep(2 * time.Second) // hold
	_ = c.Hangup(ctx)
	callee, _ := c.Wait(ctx, devices.Is(devices.MediaEnded, "alice-laptop"))
	caller, _ := c.Media()
	fmt.Println("both ways:", devices.BothWays(caller, *callee.Media), "loss:", caller.LossRate(), callee.Media.LossRate())
}
