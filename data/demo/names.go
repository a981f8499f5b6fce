package demo

import (
	"math/rand/v2"
	"strings"
)

// streetName is the i-th street office's name, Chinese and pinyin.
func streetName(i int) [2]string {
	names := [nStreets][2]string{
		{"园岭", "Yuanling"}, {"南园", "Nanyuan"}, {"福田", "Futian"}, {"沙头", "Shatou"}, {"梅林", "Meilin"},
		{"华富", "Huafu"}, {"香蜜湖", "Xiangmihu"}, {"莲花", "Lianhua"}, {"华强北", "Huaqiangbei"}, {"福保", "Fubao"},
	}
	return names[i%nStreets]
}

// syllables for generated place names, Chinese and pinyin.
func syllables() [][2]string {
	return [][2]string{
		{"景", "jing"}, {"田", "tian"}, {"香", "xiang"}, {"梅", "mei"}, {"上", "shang"}, {"下", "xia"}, {"沙", "sha"},
		{"新", "xin"}, {"洲", "zhou"}, {"石", "shi"}, {"厦", "xia"}, {"皇", "huang"}, {"岗", "gang"}, {"水", "shui"},
		{"围", "wei"}, {"福", "fu"}, {"民", "min"}, {"华", "hua"}, {"富", "fu"}, {"莲", "lian"}, {"花", "hua"},
		{"园", "yuan"}, {"岭", "ling"}, {"南", "nan"}, {"北", "bei"}, {"东", "dong"}, {"西", "xi"}, {"林", "lin"},
		{"湖", "hu"}, {"安", "an"}, {"泰", "tai"}, {"康", "kang"}, {"荔", "li"}, {"彩", "cai"}, {"益", "yi"},
		{"金", "jin"}, {"竹", "zhu"}, {"松", "song"}, {"红", "hong"}, {"荣", "rong"}, {"兴", "xing"}, {"和", "he"},
		{"平", "ping"}, {"嘉", "jia"}, {"宝", "bao"}, {"丽", "li"}, {"明", "ming"}, {"月", "yue"}, {"湾", "wan"},
		{"滨", "bin"}, {"海", "hai"}, {"云", "yun"}, {"山", "shan"}, {"桂", "gui"}, {"翠", "cui"}, {"怡", "yi"},
		{"乐", "le"}, {"春", "chun"}, {"德", "de"}, {"锦", "jin"}, {"龙", "long"}, {"凤", "feng"}, {"盛", "sheng"},
		{"鹏", "peng"}, {"岳", "yue"}, {"振", "zhen"}, {"侨", "qiao"}, {"强", "qiang"}, {"口", "kou"}, {"头", "tou"},
	}
}

// namer hands out unique two-syllable place names.
type namer struct {
	r    *rand.Rand
	syl  [][2]string
	used map[string]bool
}

func newNamer(r *rand.Rand) *namer { return &namer{r: r, syl: syllables(), used: map[string]bool{}} }

// place returns a fresh name and its pinyin (capitalised).
func (n *namer) place() (string, string) {
	for {
		a := n.syl[n.r.IntN(len(n.syl))]
		b := n.syl[n.r.IntN(len(n.syl))]
		if a[0] == b[0] {
			continue
		}
		zh := a[0] + b[0]
		if n.used[zh] {
			continue
		}
		n.used[zh] = true
		return zh, strings.ToUpper(a[1][:1]) + a[1][1:] + b[1]
	}
}

// arterialName is the k-th east–west (ew) or north–south arterial's name.
func arterialName(ew bool, k int) string {
	names := []string{"侨香路", "香蜜湖路", "农林路", "新洲路", "金田路", "益田路", "彩田路", "皇岗路", "华富路", "华强北路", "上步路", "红岭路"}
	if ew {
		names = []string{"滨海大道", "滨河大道", "福华路", "深南大道", "红荔路", "笋岗西路", "北环大道", "梅林路", "梅观路", "龙珠大道"}
	}
	return names[k%len(names)]
}
