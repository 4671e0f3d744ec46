console.log("simulator cli placeholder")
