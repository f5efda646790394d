package generate

// openIMPlatforms is constant.PlatformIDToName of openimsdk/protocol.
var openIMPlatforms = map[int64]string{1: "IOS", 2: "Android", 3: "Windows", 4: "OSX", 5: "Web", 6: "MiniWeb", 7: "Linux", 8: "APad", 9: "IPad", 10: "Admin", 11: "HarmonyOS"}
