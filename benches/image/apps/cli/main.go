// A small CLI in the shape of many: cobra commands and flags, viper settings
// from a YAML file and the environment, coloured output.
package main

import (
	"fmt"
	"os"

	"github.com/fatih/color"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	"gopkg.in/yaml.v3"
)

func main() {
	root := &cobra.Command{Use: "warmcli", Short: "prints its settings"}
	root.PersistentFlags().String("config", "", "a YAML settings file")
	root.PersistentFlags().String("name", "world", "who to greet")
	_ = viper.BindPFlag("name", root.PersistentFlags().Lookup("name"))
	viper.SetEnvPrefix("WARMCLI")
	viper.AutomaticEnv()
	root.AddCommand(&cobra.Command{
		Use:   "greet",
		Short: "greets",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file, _ := cmd.Flags().GetString("config"); file != "" {
				viper.SetConfigFile(file)
				if err := viper.ReadInConfig(); err != nil {
					return err
				}
			}
			logrus.WithField("name", viper.GetString("name")).Debug("greeting")
			color.Green("hello, %s", viper.GetString("name"))
			out, err := yaml.Marshal(viper.AllSettings())
			if err != nil {
				return err
			}
			fmt.Print(string(out))
			return nil
		},
	})
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
