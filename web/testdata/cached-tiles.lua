-- wrk script: cycles through every z14 tile of the demo district (all
-- layers in one tile set, as the page asks for them), so after one warm-up
-- pass every request is a tile cache hit. Used for BENCHMARKS.md:
--   wrk -t1 -c32 -d10s -s web/testdata/cached-tiles.lua http://127.0.0.1:8080
local layers = "water,districts,streets,communities,grids,buildings,roads,catchments,fire_circles,hazards,flood_points,fire_stations,schools,hospitals,elderly_care,cameras"
local paths = {}
-- demo district bounds ≈ lon 113.997–114.105, lat 22.50–22.585 at z14
for x = 13380, 13385 do
  for y = 7136, 7140 do
    paths[#paths + 1] = "/tiles/" .. layers .. "/14/" .. x .. "/" .. y .. ".mvt"
  end
end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], { ["Accept-Encoding"] = "gzip" })
end
